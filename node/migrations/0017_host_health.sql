-- What the delivery worker remembers of each host it delivers to (node/hosts.py):
-- failures: POSTs in a row that got no answer or a 5xx; from 3 on the host's deliveries wait until
--   retry_at (a circuit breaker), and a failing host gets one POST at a time;
-- delivered_at: its last accepted delivery; a host that has one, and no failure since, is served first;
-- undelivered_since: its first delivery not accepted since the last one that was (only a delivery clears
--   it, not activities it sends us); after 30 days of this its followers here are removed, counted in
--   followers_expired (total) and followers_expired_at.
ALTER TABLE domains ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE domains ADD COLUMN retry_at REAL;
ALTER TABLE domains ADD COLUMN delivered_at REAL;
ALTER TABLE domains ADD COLUMN undelivered_since REAL;
ALTER TABLE domains ADD COLUMN followers_expired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE domains ADD COLUMN followers_expired_at REAL;
CREATE INDEX domains_waiting ON domains (retry_at) WHERE retry_at IS NOT NULL;
-- Existing hosts with deliveries accepted count as proven from their last one.
INSERT INTO domains (host, delivered_at)
    SELECT host, max(CAST(strftime('%s', updated_at) AS REAL)) FROM deliveries WHERE state = 'delivered' GROUP BY host
    ON CONFLICT (host) DO UPDATE SET delivered_at = excluded.delivered_at;
