"""The workflow simulation's parts: a runner for the workflow file (actions.py, expressions.py),
the `postgen` the jobs run (driver.py: the real CLI with fake platforms from platforms.py), and
the person who edits the repository meanwhile (person.py). See tests/test_workflow_sim.py."""
