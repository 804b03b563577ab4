-- Who sees what. Each visitor connects as their own role; a visitor sees and changes only the homes
-- assigned to them (and those homes' children, visits, flags and erasures); a member of the agency's
-- manager role sees all. Grants to the two group roles named in reg44.agency are made by `hub init`.

-- True when the connected role is a member of the agency's manager role.
CREATE FUNCTION reg44.is_manager() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM reg44.agency a WHERE pg_has_role(current_user, a.manager_role, 'MEMBER'))
$$;

-- Every write records who made it; a visitor cannot claim another's name.
CREATE FUNCTION reg44.stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_by := current_user;
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE TRIGGER homes_stamp BEFORE INSERT OR UPDATE ON reg44.homes FOR EACH ROW EXECUTE FUNCTION reg44.stamp();
CREATE TRIGGER children_stamp BEFORE INSERT OR UPDATE ON reg44.children FOR EACH ROW EXECUTE FUNCTION reg44.stamp();
CREATE TRIGGER visits_stamp BEFORE INSERT OR UPDATE ON reg44.visits FOR EACH ROW EXECUTE FUNCTION reg44.stamp();
CREATE TRIGGER flags_stamp BEFORE INSERT OR UPDATE ON reg44.flags FOR EACH ROW EXECUTE FUNCTION reg44.stamp();

-- A visitor who pushes a home the hub has never seen becomes its visitor. updated_by was stamped by
-- the trigger above, so it is the role that really inserted the row.
CREATE FUNCTION reg44.assign_new_home() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, reg44 AS $$
BEGIN
    INSERT INTO reg44.assignments (home_id, visitor) VALUES (NEW.id, NEW.updated_by) ON CONFLICT DO NOTHING;
    RETURN NEW;
END $$;
CREATE TRIGGER homes_assign AFTER INSERT ON reg44.homes FOR EACH ROW EXECUTE FUNCTION reg44.assign_new_home();

-- The home ids among those given that exist on the hub but are not visible to the caller: push uses it
-- to skip (and name) a home handed to another visitor instead of failing on a hidden row. It reveals
-- only whether an id is taken.
CREATE FUNCTION reg44.hidden_homes(ids text[]) RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, reg44 AS $$
    SELECT h.id FROM reg44.homes h
    WHERE h.id = ANY (ids)
      AND NOT EXISTS (SELECT 1 FROM reg44.agency a WHERE pg_has_role(session_user, a.manager_role, 'MEMBER'))
      AND NOT EXISTS (SELECT 1 FROM reg44.assignments s WHERE s.home_id = h.id AND s.visitor = session_user)
$$;

ALTER TABLE reg44.homes ENABLE ROW LEVEL SECURITY;
ALTER TABLE reg44.assignments ENABLE ROW LEVEL SECURITY;
ALTER TABLE reg44.children ENABLE ROW LEVEL SECURITY;
ALTER TABLE reg44.visits ENABLE ROW LEVEL SECURITY;
ALTER TABLE reg44.flags ENABLE ROW LEVEL SECURITY;
ALTER TABLE reg44.erasures ENABLE ROW LEVEL SECURITY;
ALTER TABLE reg44.pushes ENABLE ROW LEVEL SECURITY;

CREATE POLICY assignments_read ON reg44.assignments FOR SELECT
    USING (visitor = current_user OR reg44.is_manager());
CREATE POLICY assignments_manage ON reg44.assignments FOR ALL
    USING (reg44.is_manager()) WITH CHECK (reg44.is_manager());

CREATE POLICY homes_read ON reg44.homes FOR SELECT
    USING (reg44.is_manager() OR id IN (SELECT home_id FROM reg44.assignments WHERE visitor = current_user));
CREATE POLICY homes_change ON reg44.homes FOR UPDATE
    USING (reg44.is_manager() OR id IN (SELECT home_id FROM reg44.assignments WHERE visitor = current_user));
CREATE POLICY homes_add ON reg44.homes FOR INSERT WITH CHECK (true);
CREATE POLICY homes_remove ON reg44.homes FOR DELETE USING (reg44.is_manager());

CREATE POLICY children_own ON reg44.children FOR ALL
    USING (reg44.is_manager() OR home_id IN (SELECT home_id FROM reg44.assignments WHERE visitor = current_user))
    WITH CHECK (reg44.is_manager() OR home_id IN (SELECT home_id FROM reg44.assignments WHERE visitor = current_user));
CREATE POLICY visits_own ON reg44.visits FOR ALL
    USING (reg44.is_manager() OR home_id IN (SELECT home_id FROM reg44.assignments WHERE visitor = current_user))
    WITH CHECK (reg44.is_manager() OR home_id IN (SELECT home_id FROM reg44.assignments WHERE visitor = current_user));
CREATE POLICY flags_own ON reg44.flags FOR ALL
    USING (reg44.is_manager() OR home_id IN (SELECT home_id FROM reg44.assignments WHERE visitor = current_user))
    WITH CHECK (reg44.is_manager() OR home_id IN (SELECT home_id FROM reg44.assignments WHERE visitor = current_user));
CREATE POLICY erasures_own ON reg44.erasures FOR ALL
    USING (reg44.is_manager() OR home_id IN (SELECT home_id FROM reg44.assignments WHERE visitor = current_user))
    WITH CHECK (reg44.is_manager() OR home_id IN (SELECT home_id FROM reg44.assignments WHERE visitor = current_user));

CREATE POLICY pushes_own ON reg44.pushes FOR ALL
    USING (visitor = current_user OR reg44.is_manager()) WITH CHECK (visitor = current_user);
