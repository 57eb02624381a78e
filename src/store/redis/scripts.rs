//! The Lua scripts: one per operation, each a single atomic step in one slot that first checks
//! the slot's initialization marker.

use redis::Script;

/// One script, loaded once per process.
pub(super) struct Lua {
    pub(super) script: Script,
}

impl Lua {
    fn new(source: &str) -> Lua {
        Lua {
            script: Script::new(source),
        }
    }
}

pub(super) struct Scripts {
    pub(super) redeem: Lua,
    pub(super) check: Lua,
    pub(super) revoke: Lua,
    pub(super) is_revoked: Lua,
    pub(super) raise_rule: Lua,
    pub(super) init: Lua,
    pub(super) status: Lua,
    pub(super) record_issued: Lua,
    pub(super) index_add: Lua,
    pub(super) list: Lua,
    pub(super) visit: Lua,
    pub(super) visits: Lua,
    pub(super) code_create: Lua,
    pub(super) code_resolve: Lua,
    pub(super) attempt: Lua,
}

impl Scripts {
    pub(super) fn get() -> &'static Scripts {
        static SCRIPTS: std::sync::OnceLock<Scripts> = std::sync::OnceLock::new();
        SCRIPTS.get_or_init(|| Scripts {
            redeem: Lua::new(include_str!("lua/redeem.lua")),
            check: Lua::new(include_str!("lua/check.lua")),
            revoke: Lua::new(include_str!("lua/revoke.lua")),
            is_revoked: Lua::new(include_str!("lua/is_revoked.lua")),
            raise_rule: Lua::new(include_str!("lua/raise_rule.lua")),
            init: Lua::new(include_str!("lua/init.lua")),
            status: Lua::new(include_str!("lua/status.lua")),
            record_issued: Lua::new(include_str!("lua/record_issued.lua")),
            index_add: Lua::new(include_str!("lua/index_add.lua")),
            list: Lua::new(include_str!("lua/list.lua")),
            visit: Lua::new(include_str!("lua/visit.lua")),
            visits: Lua::new(include_str!("lua/visits.lua")),
            code_create: Lua::new(include_str!("lua/code_create.lua")),
            code_resolve: Lua::new(include_str!("lua/code_resolve.lua")),
            attempt: Lua::new(include_str!("lua/attempt.lua")),
        })
    }

    pub(super) fn all(&self) -> [&Lua; 15] {
        [
            &self.redeem,
            &self.check,
            &self.revoke,
            &self.is_revoked,
            &self.raise_rule,
            &self.init,
            &self.status,
            &self.record_issued,
            &self.index_add,
            &self.list,
            &self.visit,
            &self.visits,
            &self.code_create,
            &self.code_resolve,
            &self.attempt,
        ]
    }
}
