-- The agenda's backlog (issue 15): an item the office takes off the agenda
-- is set aside, not deleted, so a drafted item can be put back before the
-- chair approves; the office removes an item for good on purpose.
ALTER TABLE meeting_items ADD COLUMN set_aside boolean NOT NULL DEFAULT false;
