"""Applying a plan: the calls that make the site match, in dependency order, concurrently,
checked and honestly reported.

- `graph`: which actions wait for which, one named function per rule;
- `executor`: runs every action once what it waits for has applied;
- `ledger`: the ids known while applying (live ones, and those made on the way);
- `moves`: the fewest single moves that reorder a collection;
- `stale`: whether a saved plan still holds on the site;
- `already`: whether the site already shows a saved plan's actions (applied before);
- `outsiders`: what another writer made or changed on the site while an apply ran;
- `guard`: the risky actions refused unless explicitly allowed;
- `report`: what became of each action and of the run.

It sits above planning (`apply -> plan -> kinds -> client`) and knows no command line.
"""
