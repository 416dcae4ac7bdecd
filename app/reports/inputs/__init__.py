"""Each report kind's input, read from the database and the parameters pinned at creation."""
