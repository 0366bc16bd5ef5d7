"""Workers: claim runs from the queue and execute their graphs."""
