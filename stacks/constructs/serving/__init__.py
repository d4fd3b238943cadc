"""What serves and watches a model: the endpoint, Roadway's drift job, Model Monitor where an account has it."""
