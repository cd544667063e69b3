-- Staged rows live in an in-memory database the whole process shares: only the five tables reach the file.
ATTACH ':memory:' AS scratch;
