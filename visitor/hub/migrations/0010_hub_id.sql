-- The hub's own identity. A laptop remembers what it agreed with a hub by this id, not by the address it
-- used: the same hub reached by another name keeps the agreement, and a hub made afresh at the old
-- address starts from nothing agreed.
ALTER TABLE reg44.agency ADD COLUMN hub_id uuid NOT NULL DEFAULT gen_random_uuid();
