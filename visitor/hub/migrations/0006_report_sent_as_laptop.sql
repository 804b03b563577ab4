-- "n/m sent" in home_status, counted as the laptop counts it (visitor/distribution.py, status): a copy
-- satisfies the due recipient with the same key ("ofsted", "placing-authority:<name>", ...; an older log
-- entry without a key is keyed by its audience and, for a placing authority, its name), and counts only
-- if it was logged no earlier than the latest addendum affecting that recipient (an addendum with no
-- list of recipients affects every copy). Before, a copy sent before an addendum still counted, so the
-- agency saw a corrected report as sent to everyone. A visit whose distribution, addenda or
-- recipients_due is not a list (written through raw SQL) counts as nothing sent instead of making the
-- view fail for everyone.
CREATE OR REPLACE VIEW reg44.home_status WITH (security_invoker = true) AS
SELECT h.id, h.name, h.provider, h.setting_type,
       coalesce((SELECT string_agg(a.visitor::text, ', ' ORDER BY a.visitor)
                 FROM reg44.assignments a WHERE a.home_id = h.id), '') AS visitors,
       lv.id AS last_visit_id,
       lv.date AS last_visit,
       CASE WHEN lv.date IS NULL THEN 'overdue'
            WHEN date_trunc('month', lv.date) = date_trunc('month', current_date) THEN 'done'
            WHEN date_trunc('month', lv.date) = date_trunc('month', current_date) - interval '1 month' THEN 'due'
            ELSE 'overdue' END AS this_month,
       coalesce(jsonb_array_length(lv.due), 0) AS recipients,
       coalesce((SELECT count(*)::int
                 FROM jsonb_array_elements(lv.due) r,
                      LATERAL (SELECT CASE WHEN r ->> 1 = 'placing-authority' THEN 'placing-authority:' || (r ->> 0)
                                           ELSE r ->> 1 END AS key) k
                 WHERE EXISTS (
                     SELECT 1 FROM jsonb_array_elements(lv.distribution) d
                     WHERE coalesce(nullif(d ->> 'key', ''),
                                    CASE WHEN d ->> 'audience' = 'placing-authority'
                                         THEN 'placing-authority:' || coalesce(d ->> 'recipient', '')
                                         ELSE coalesce(d ->> 'audience', '') END) = k.key
                       AND coalesce(nullif(d ->> 'logged', ''), d ->> 'sent_on', '') COLLATE "C" >= coalesce(
                           (SELECT max(coalesce(nullif(a ->> 'logged', ''), a ->> 'date', '') COLLATE "C")
                            FROM jsonb_array_elements(lv.addenda) a
                            WHERE jsonb_typeof(a -> 'affects') IS DISTINCT FROM 'array'
                               OR jsonb_array_length(a -> 'affects') = 0 OR a -> 'affects' ? k.key), ''))), 0) AS sent,
       coalesce((SELECT array_agg(DISTINCT f.theme ORDER BY f.theme)
                 FROM reg44.flags f WHERE f.home_id = h.id AND NOT f.resolved), ARRAY[]::text[]) AS open_themes
FROM reg44.homes h
LEFT JOIN LATERAL (SELECT v.id, v.date,
                          CASE WHEN jsonb_typeof(v.recipients_due) = 'array' THEN v.recipients_due
                               ELSE '[]' END AS due,
                          CASE WHEN jsonb_typeof(v.data -> 'distribution') = 'array' THEN v.data -> 'distribution'
                               ELSE '[]' END AS distribution,
                          CASE WHEN jsonb_typeof(v.data -> 'addenda') = 'array' THEN v.data -> 'addenda'
                               ELSE '[]' END AS addenda
                   FROM reg44.visits v
                   WHERE v.home_id = h.id ORDER BY v.date DESC LIMIT 1) lv ON true;
