-- An erasure made on a laptop after its home was handed to another visitor: that laptop's push skips the
-- home (its rows are hidden from it), so the erasure never reached the hub nor the home's new visitor.
-- Erasure always wins: this function records the erasure and erases the child's row on the hub, given
-- the erased record of that child (so it cannot be used to change anything else). The child's words in
-- the hub's visits are scrubbed by the next push of a laptop that can see the home (its pull erases the
-- child there first, with the same code path as `reg44 erase-child`).
-- An erasure names the visitor who made it (session_user), also when it comes through this function.
CREATE OR REPLACE FUNCTION reg44.stamp_erasure() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, reg44 AS $$
BEGIN
    NEW.erased_by := session_user;
    NEW.erased_at := now();
    RETURN NEW;
END $$;

CREATE FUNCTION reg44.erase_handed_over(home text, child text, erasure jsonb, child_record jsonb, child_hash text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, reg44 AS $$
DECLARE
    recorded boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM reg44.agency a WHERE pg_has_role(session_user, a.visitor_role, 'MEMBER')
                                                   OR pg_has_role(session_user, a.manager_role, 'MEMBER')) THEN
        RAISE EXCEPTION 'only the agency''s visitors may send an erasure';
    END IF;
    IF jsonb_typeof(child_record) IS DISTINCT FROM 'object' OR child_record ->> 'id' IS DISTINCT FROM child
       OR child_record ->> 'code' IS DISTINCT FROM '[erased]' OR coalesce(child_record ->> 'erased', '') = ''
       OR jsonb_typeof(erasure) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'an erasure must come with the erased record of that child';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM reg44.children c WHERE c.home_id = home AND c.id = child) THEN
        RETURN false;
    END IF;
    INSERT INTO reg44.erasures (home_id, child_id, data) VALUES (home, child, erasure) ON CONFLICT DO NOTHING;
    recorded := FOUND;
    UPDATE reg44.children SET code = '[erased]', erased = true, data = child_record, hash = child_hash
        WHERE home_id = home AND id = child AND NOT children.erased;
    RETURN recorded OR FOUND;
END $$;
