-- The sweeper (and an upload finishing its own stage) claims a stage for a
-- while, then locks or removes its objects with no transaction open, then
-- drops it. A stage claimed before its upload committed can no longer be
-- committed: the upload is refused and rolled back.
ALTER TABLE staged_uploads ADD COLUMN claimed_until timestamptz;
