-- An erasure records who made it and when, stamped like every other synced row: a visitor cannot put
-- another's name (or another day) on an erasure, nor on the log of pushes.
CREATE FUNCTION reg44.stamp_erasure() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.erased_by := current_user;
    NEW.erased_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER erasures_stamp BEFORE INSERT OR UPDATE ON reg44.erasures
    FOR EACH ROW EXECUTE FUNCTION reg44.stamp_erasure();

CREATE FUNCTION reg44.stamp_push() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.visitor := current_user;
    NEW.at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER pushes_stamp BEFORE INSERT OR UPDATE ON reg44.pushes
    FOR EACH ROW EXECUTE FUNCTION reg44.stamp_push();
