-- The figures of `roost report` computed on the warehouse mirror (`roost mirror --postgres URL`), for psql,
-- Metabase or Grafana. The same ops and the same scope give the same numbers as the node
-- (Tests/RoostMirrorTests checks every figure against `roost report` after runs with restarts).
--
--   psql "$URL" -X -A -t -F '|' -v since=NULL -v until=NULL -v queue= -v agent= -v now=$(date +%s%3N) -f examples/mirror/report.sql
--
-- since, until: Unix milliseconds or NULL (tickets whose first customer message falls in [since, until));
-- queue: a queue name, or empty for every queue; agent: an agent's name as the report shows it, or empty for
-- everyone (like `roost report --agent`: the tickets that agent replied on or last set the status of, and only
-- that agent's row); now: Unix milliseconds, when open tickets' SLA is judged (`roost report` judges at until
-- when it is given, as this does).
-- Output: one row per figure (name, value; empty when undefined), then one per agent
-- ('agent', name, replies, resolutions), agents by replies + resolutions, then name.
WITH scoped AS (
    SELECT * FROM roost_tickets
    WHERE first_inbound_ms IS NOT NULL
      AND (:since::bigint IS NULL OR first_inbound_ms >= :since::bigint)
      AND (:until::bigint IS NULL OR first_inbound_ms < :until::bigint)
      AND (:'queue' = '' OR queue = :'queue')
      AND (:'agent' = '' OR status_by_name = :'agent'
           OR EXISTS (SELECT 1 FROM roost_messages m
                      WHERE m.ticket = roost_tickets.key AND m.direction = 'outbound' AND m.sender = :'agent'))
), timed AS (
    SELECT *,
           (first_response_ms - first_inbound_ms)::float8 / 60000 AS response_minutes,
           CASE WHEN status IN ('resolved', 'closed') AND status_set_ms IS NOT NULL
                THEN greatest(status_set_ms - first_inbound_ms, 0)::float8 / 60000 END AS resolution_minutes
    FROM scoped
), figures AS (
    SELECT count(*) AS tickets,
           count(response_minutes) AS responded,
           percentile_disc(0.5) WITHIN GROUP (ORDER BY response_minutes) AS first_response_median,
           percentile_disc(0.9) WITHIN GROUP (ORDER BY response_minutes) AS first_response_p90,
           count(resolution_minutes) AS resolved,
           percentile_disc(0.5) WITHIN GROUP (ORDER BY resolution_minutes) AS resolution_median,
           percentile_disc(0.9) WITHIN GROUP (ORDER BY resolution_minutes) AS resolution_p90,
           count(resolution_minutes) FILTER (WHERE coalesce(resolution, '') <> 'escalated-elsewhere') AS in_channel,
           count(*) FILTER (WHERE took_dm) AS taken_to_dm,
           count(*) FILTER (WHERE (first_response_ms IS NOT NULL AND first_response_ms > first_response_due_ms)
                               OR (first_response_ms IS NULL AND status IN ('new', 'open', 'pending', 'on-hold')
                                   AND coalesce(:until::bigint, :now::bigint) > first_response_due_ms)) AS sla_breaches
    FROM timed
), conflicts AS (
    SELECT count(*) AS claim_conflicts FROM roost_claim_conflicts
    WHERE reason = 'concurrent' AND ticket IN (SELECT key FROM scoped)
), credits AS (
    SELECT m.sender AS agent, 1 AS replies, 0 AS resolutions
    FROM roost_messages m JOIN scoped s ON s.key = m.ticket
    WHERE m.direction = 'outbound'
    UNION ALL
    SELECT status_by_name, 0, 1 FROM scoped WHERE status = 'resolved' AND status_set_ms IS NOT NULL AND status_by_name IS NOT NULL
), agents AS (
    SELECT agent, sum(replies) AS replies, sum(resolutions) AS resolutions FROM credits
    WHERE :'agent' = '' OR agent = :'agent' GROUP BY agent
)
SELECT name, value, replies, resolutions FROM (
    SELECT 1 AS n, 0::bigint AS total, '' AS agent, 'tickets' AS name, tickets::text AS value, NULL::bigint AS replies, NULL::bigint AS resolutions FROM figures
    UNION ALL SELECT 2, 0, '', 'responded', responded::text, NULL, NULL FROM figures
    UNION ALL SELECT 3, 0, '', 'response_rate', (responded::float8 / nullif(tickets, 0))::text, NULL, NULL FROM figures
    UNION ALL SELECT 4, 0, '', 'first_response_median_minutes', first_response_median::text, NULL, NULL FROM figures
    UNION ALL SELECT 5, 0, '', 'first_response_p90_minutes', first_response_p90::text, NULL, NULL FROM figures
    UNION ALL SELECT 6, 0, '', 'resolved', resolved::text, NULL, NULL FROM figures
    UNION ALL SELECT 7, 0, '', 'resolution_rate', (resolved::float8 / nullif(tickets, 0))::text, NULL, NULL FROM figures
    UNION ALL SELECT 8, 0, '', 'resolution_median_minutes', resolution_median::text, NULL, NULL FROM figures
    UNION ALL SELECT 9, 0, '', 'resolution_p90_minutes', resolution_p90::text, NULL, NULL FROM figures
    UNION ALL SELECT 10, 0, '', 'in_channel_resolution_rate', (in_channel::float8 / nullif(resolved, 0))::text, NULL, NULL FROM figures
    UNION ALL SELECT 11, 0, '', 'taken_to_dm_share', (taken_to_dm::float8 / nullif(responded, 0))::text, NULL, NULL FROM figures
    UNION ALL SELECT 12, 0, '', 'sla_breaches', sla_breaches::text, NULL, NULL FROM figures
    UNION ALL SELECT 13, 0, '', 'claim_conflicts', claim_conflicts::text, NULL, NULL FROM conflicts
    UNION ALL SELECT 100, replies + resolutions, agent, 'agent', agent, replies, resolutions FROM agents
) AS report_rows
ORDER BY n, total DESC, agent COLLATE "C";
