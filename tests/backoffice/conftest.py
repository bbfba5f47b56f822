from tests.auth.conftest import cheap_hasher, fixed_clock  # noqa: F401 - same fixtures
