-- The agency's views. security_invoker: a view reads with the caller's rights, so row-level security
-- still limits a visitor to their own homes.

-- One row per home: its visitors, latest visit, whether this month's visit is done, how many of the
-- latest report's required recipients have been sent it, and the themes of its open flags.
CREATE VIEW reg44.home_status WITH (security_invoker = true) AS
SELECT h.id, h.name, h.provider, h.setting_type,
       coalesce((SELECT string_agg(a.visitor::text, ', ' ORDER BY a.visitor)
                 FROM reg44.assignments a WHERE a.home_id = h.id), '') AS visitors,
       lv.id AS last_visit_id,
       lv.date AS last_visit,
       CASE WHEN lv.date IS NULL THEN 'overdue'
            WHEN date_trunc('month', lv.date) = date_trunc('month', current_date) THEN 'done'
            WHEN date_trunc('month', lv.date) = date_trunc('month', current_date) - interval '1 month' THEN 'due'
            ELSE 'overdue' END AS this_month,
       coalesce(jsonb_array_length(lv.recipients_due), 0) AS recipients,
       coalesce((SELECT count(*)::int FROM jsonb_array_elements(lv.recipients_due) r
                 WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(lv.data -> 'distribution') d
                               WHERE d ->> 'audience' = r ->> 1
                                 AND (r ->> 1 <> 'placing-authority' OR d ->> 'recipient' = r ->> 0))), 0) AS sent,
       coalesce((SELECT array_agg(DISTINCT f.theme ORDER BY f.theme)
                 FROM reg44.flags f WHERE f.home_id = h.id AND NOT f.resolved), ARRAY[]::text[]) AS open_themes
FROM reg44.homes h
LEFT JOIN LATERAL (SELECT v.id, v.date, v.recipients_due, v.data FROM reg44.visits v
                   WHERE v.home_id = h.id ORDER BY v.date DESC LIMIT 1) lv ON true;

-- Open themes shared by homes of one provider: the Doncaster homes were three homes of one provider.
CREATE VIEW reg44.provider_themes WITH (security_invoker = true) AS
SELECT lower(h.provider) AS provider_key, f.theme, count(DISTINCT h.id)::int AS homes,
       array_agg(DISTINCT h.id ORDER BY h.id) AS home_ids
FROM reg44.homes h
JOIN reg44.flags f ON f.home_id = h.id AND NOT f.resolved
WHERE h.provider <> ''
GROUP BY lower(h.provider), f.theme;

-- Peer reference rates: for each setting type and each event count the checklist marks as a rate,
-- the mean over homes of (events per child per 30 days) across each home's visits of the last year.
-- SECURITY DEFINER: a visitor may read the agency's pooled rates without seeing other homes' rows;
-- a setting type with fewer than min_homes homes is left out, and for anyone but a manager min_homes is
-- at least 3, so no visitor can ask for a single home's figures.
CREATE FUNCTION reg44.peer_rates(min_homes integer DEFAULT 3)
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
          AND jsonb_typeof(s.answers -> i.measure) = 'number'
        GROUP BY h.setting_type, s.home_id, i.measure
    )
    SELECT p.setting_type, p.measure, count(*)::int, avg(p.rate)::float8
    FROM per_home p
    GROUP BY p.setting_type, p.measure
    HAVING count(*) >= CASE
        WHEN EXISTS (SELECT 1 FROM reg44.agency a WHERE pg_has_role(session_user, a.manager_role, 'MEMBER'))
            THEN greatest(min_homes, 1)
        ELSE greatest(min_homes, 3) END
    ORDER BY 1, 2
$$;
