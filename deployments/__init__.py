"""What an operator runs besides ``prefect deploy``: blocks from the environment, and ``serve``."""
