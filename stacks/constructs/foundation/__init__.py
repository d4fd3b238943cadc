"""What every stage stands on: keys, buckets, the isolated network, shared function and role parts."""
