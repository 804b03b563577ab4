"""The optional agency hub: a PostgreSQL database that many visitors' laptops push to and pull from.

The laptop's data folder stays the working copy and everything works offline; the hub consolidates
homes, children (codes only), finalised visits, flags, distribution, addenda and erasures for the
agency's manager, cover visitors and peer reference rates. psycopg is imported only here. See docs/HUB.md.
"""
