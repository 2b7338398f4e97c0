-- Security (issue 13).
--
-- A delivery is leased for one attempt: the worker claims it in a short
-- transaction (lease_token, lease_until), sends with no transaction open,
-- then records the outcome. A second attempt waits for the lease to expire,
-- so a worker that died while sending is replaced, and one that records
-- 'sent' stops every later attempt.
ALTER TABLE deliveries
  ADD COLUMN lease_token uuid,
  ADD COLUMN lease_until timestamptz,
  ADD CHECK ((lease_token IS NULL) = (lease_until IS NULL));
