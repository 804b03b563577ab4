-- Peer rates leave out counts below zero. A visitor could write a negative count into their own visits
-- (raw SQL); the pooled rate went negative and every laptop that pulled it failed (settings the app
-- refuses). Otherwise as 0004.
CREATE OR REPLACE FUNCTION reg44.peer_rates(min_homes integer DEFAULT 3)
RETURNS TABLE (setting_type text, measure text, homes integer, rate double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, reg44 AS $$
    WITH rate_items AS (
        SELECT DISTINCT c.id AS checklist_id, c.version, item ->> 'id' AS measure
        FROM reg44.checklists c,
             jsonb_path_query(c.raw, '$.sections[*].items[*] ? (@.rate == true && @.kind == "count")') AS item
    ), spans AS (
        SELECT v.home_id, v.date, v.checklist_id, v.checklist_version, v.data -> 'answers' AS answers,
               v.date - lag(v.date) OVER (PARTITION BY v.home_id ORDER BY v.date) AS days,
               (SELECT count(*) FROM reg44.children c
                WHERE c.home_id = v.home_id AND c.admitted <= v.date
                  AND (c.left_on IS NULL OR c.left_on >= v.date)) AS residents
        FROM reg44.visits v
    ), per_home AS (
        SELECT h.setting_type, s.home_id, i.measure,
               sum((s.answers ->> i.measure)::numeric) * 30 / sum(s.residents * s.days) AS rate
        FROM spans s
        JOIN reg44.homes h ON h.id = s.home_id
        JOIN rate_items i ON i.checklist_id = s.checklist_id AND i.version = s.checklist_version
        WHERE s.date > current_date - 365 AND s.days > 0 AND s.residents > 0
          AND CASE WHEN jsonb_typeof(s.answers -> i.measure) = 'number'
                   THEN (s.answers ->> i.measure)::numeric >= 0 ELSE false END
        GROUP BY h.setting_type, s.home_id, i.measure
    ), caller AS (
        SELECT EXISTS (SELECT 1 FROM reg44.agency a WHERE pg_has_role(session_user, a.manager_role, 'MEMBER'))
               AS manager
    )
    SELECT p.setting_type, p.measure, count(*)::int, avg(p.rate)::float8
    FROM per_home p, caller
    GROUP BY p.setting_type, p.measure, caller.manager
    HAVING CASE WHEN caller.manager THEN count(*) >= greatest(min_homes, 1)
                ELSE count(*) FILTER (WHERE NOT EXISTS (
                         SELECT 1 FROM reg44.assignments s
                         WHERE s.home_id = p.home_id AND s.visitor = session_user)) >= greatest(min_homes, 3) END
    ORDER BY 1, 2
$$;
