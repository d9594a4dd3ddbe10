"""Which Dask scheduler addresses the executor takes before it tries to connect."""

import pytest

from rtmcim.errors import ConfigError
from rtmcim.explore.executors import check_scheduler_address


@pytest.mark.parametrize(
    "address",
    ["tcp://10.0.0.1:8786", "tls://scheduler.lab:8786", "inproc://192.0.2.2/19790/1"],
)
def test_scheduler_addresses_taken(address: str) -> None:
    check_scheduler_address(address)  # a threaded LocalCluster serves the inproc form


@pytest.mark.parametrize(
    "address", ["notaurl", "tcp://", "tcp://host:8786/extra", "inproc://host/pid/1", "tcp://a b"]
)
def test_scheduler_addresses_refused(address: str) -> None:
    with pytest.raises(ConfigError, match="not a Dask scheduler address"):
        check_scheduler_address(address)
