//! The Lua scripts: one per operation, each a single atomic step in one slot that first checks
//! the slot's initialization marker. Those that record a fact start with `lua/log.lua`, which
//! appends its event to the log in the same step.

use redis::Script;

pub(super) struct Scripts {
    pub(super) redeem: Script,
    pub(super) check: Script,
    pub(super) revoke: Script,
    pub(super) is_revoked: Script,
    pub(super) raise_rule: Script,
    pub(super) init: Script,
    pub(super) status: Script,
    pub(super) record_issued: Script,
    pub(super) index_add: Script,
    pub(super) list: Script,
    pub(super) list_newest: Script,
    pub(super) visit: Script,
    pub(super) visits: Script,
    pub(super) code_create: Script,
    pub(super) code_resolve: Script,
    pub(super) attempt: Script,
    pub(super) consumer: Script,
}

impl Scripts {
    pub(super) fn get() -> &'static Scripts {
        static SCRIPTS: std::sync::OnceLock<Scripts> = std::sync::OnceLock::new();
        SCRIPTS.get_or_init(|| Scripts {
            redeem: Script::new(concat!(
                include_str!("lua/log.lua"),
                include_str!("lua/redeem.lua")
            )),
            check: Script::new(include_str!("lua/check.lua")),
            revoke: Script::new(concat!(
                include_str!("lua/log.lua"),
                include_str!("lua/revoke.lua")
            )),
            is_revoked: Script::new(include_str!("lua/is_revoked.lua")),
            raise_rule: Script::new(concat!(
                include_str!("lua/log.lua"),
                include_str!("lua/raise_rule.lua")
            )),
            init: Script::new(include_str!("lua/init.lua")),
            status: Script::new(include_str!("lua/status.lua")),
            record_issued: Script::new(concat!(
                include_str!("lua/log.lua"),
                include_str!("lua/record_issued.lua")
            )),
            index_add: Script::new(include_str!("lua/index_add.lua")),
            list: Script::new(include_str!("lua/list.lua")),
            list_newest: Script::new(include_str!("lua/list_newest.lua")),
            visit: Script::new(concat!(
                include_str!("lua/log.lua"),
                include_str!("lua/visit.lua")
            )),
            visits: Script::new(include_str!("lua/visits.lua")),
            code_create: Script::new(concat!(
                include_str!("lua/log.lua"),
                include_str!("lua/code_create.lua")
            )),
            code_resolve: Script::new(include_str!("lua/code_resolve.lua")),
            attempt: Script::new(include_str!("lua/attempt.lua")),
            consumer: Script::new(include_str!("lua/consumer.lua")),
        })
    }

    pub(super) fn all(&self) -> [&Script; 17] {
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
            &self.list_newest,
            &self.visit,
            &self.visits,
            &self.code_create,
            &self.code_resolve,
            &self.attempt,
            &self.consumer,
        ]
    }
}
