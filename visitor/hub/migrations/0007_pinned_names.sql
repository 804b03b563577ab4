-- Functions the policies and triggers run are parsed with the caller's search_path. Where the public
-- schema is writable (PostgreSQL 14 and older, and databases upgraded from them), a visitor who put it
-- first and planted their own pg_has_role was a manager to is_manager(), and saw every home and child;
-- their own now() put any date on what they wrote. Every name is now qualified (is_manager stays a
-- plain SQL function, so the planner still inlines it into the policies).
CREATE OR REPLACE FUNCTION reg44.is_manager() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM reg44.agency a
                   WHERE pg_catalog.pg_has_role(current_user, a.manager_role, 'MEMBER'))
$$;

CREATE OR REPLACE FUNCTION reg44.stamp() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, reg44 AS $$
BEGIN
    NEW.updated_by := current_user;
    NEW.updated_at := now();
    RETURN NEW;
END $$;

ALTER FUNCTION reg44.stamp_erasure() SET search_path = pg_catalog, reg44;
ALTER FUNCTION reg44.stamp_push() SET search_path = pg_catalog, reg44;
