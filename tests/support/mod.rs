#[cfg(feature = "postgres")]
pub mod postgres_server;
pub mod redis_server;
