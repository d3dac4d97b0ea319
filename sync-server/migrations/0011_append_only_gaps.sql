-- Two append-only rules the earlier schemas left out (found by the storage test, which tries
-- every register table): a laboratory's approval record could be deleted, and an enforcement
-- action's event changed in place.
CREATE TRIGGER IF NOT EXISTS laboratories_kept BEFORE DELETE ON laboratories
BEGIN SELECT RAISE(ABORT, 'laboratory approvals are kept; they are never deleted'); END;
CREATE TRIGGER IF NOT EXISTS action_events_no_update BEFORE UPDATE ON action_events
BEGIN SELECT RAISE(ABORT, 'action events are never changed'); END;
