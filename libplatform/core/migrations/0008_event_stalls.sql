-- The events horizon fallback (issue 14, events.horizon_wait_ms). A poller that delivers
-- events without waiting for PostgreSQL's commit horizon first records the range of writing
-- transactions [lo, hi] whose events it may send out of (xact, id) order: lo is the horizon
-- of that read, hi the largest xact it sends early. A resume with ?after= an event of such a
-- range cannot be exact (what the client had depends on timing), so it is told to reload
-- instead. Written on PostgreSQL only; pruned with the events by `at`.
CREATE TABLE event_stalls (
  id {id},
  lo BIGINT NOT NULL,
  hi BIGINT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX event_stalls_lo ON event_stalls (lo);
CREATE INDEX event_stalls_at ON event_stalls (at);
