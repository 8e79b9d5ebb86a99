"""Export: a live site written as a spec. `read` reads the site in the calls a plan of it
would make, `document` turns the live state into spec objects (with warnings for what a spec
cannot hold), and `write` prints them as YAML, one document or a folder of files."""
