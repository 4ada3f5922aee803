"""One blueprint per screen of the Team app."""
