"""Planning: what would make the live site match the spec.

The pipeline's middle, written once over the kinds table (`provisioner.kinds`):

- `desired`: a validated spec as the desired `State`;
- `live`: the live `State` the spec covers, read in the fewest calls;
- `normalise`: the rules that bring both sides to one comparable shape;
- `diff`: which objects pair up and which fields differ;
- `build`: the ordered `Plan` of actions, with problems and fingerprints;
- `fingerprints`: the versions a saved plan records;
- `planfile`: the plan file format, saved and loaded (checked against the table).

Imports run down only: `plan -> kinds -> client`, and `spec` and `model` beside them.
"""
