from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir():
    if not DATA.exists():
        pytest.skip(f"shared data not found at {DATA}")
    return DATA
