"""The sync job's benchmark harness (`make bench`): the job's scenarios against the COPY floor and a row-by-row run."""
