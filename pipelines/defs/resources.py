"""Resources, configured from the environment with embedded defaults."""

from contextlib import contextmanager
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging.version import Version

from pipelines.defs.transform.project import WARM_DBT, rollcall_project
from pipelines.lib import warehouse as wh


class Warehouse(dg.ConfigurableResource):
    """The published warehouse file; assets write its private build file."""

    path: str

    @property
    def published(self) -> Path:
        return Path(self.path)

    @property
    def build(self) -> Path:
        return wh.build_path(self.published)

    @contextmanager
    def connect(self):
        with wh.connect_build(self.build) as con:
            yield con

    @contextmanager
    def connect_raw(self):
        """The raw file alone (`raw.*`): what ingest writes (pipelines/lib/warehouse.py)."""
        with wh.connect_raw(self.build) as con:
            yield con


class Landing(dg.ConfigurableResource):
    """The folder the vendors' exports land in."""

    path: str


class Dbt(DbtCliResource):
    """dagster-dbt's dbt resource, without the work it does in our process for every dbt step.

    dagster-dbt asks the dbt executable its version before every invocation
    (4 s here, twice a run); the executable is this environment's pinned
    dbt-core, so the installed package answers the same. It also builds a dbt
    adapter in this process (loading the project and every dbt macro: 6.5 s
    here, twice a run, before dbt itself starts), used only to fetch column
    metadata or row counts, which no asset asks for: none is built.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "warehouse": Warehouse(path=str(wh.warehouse_path())),
            "landing": Landing(path=str(wh.landing_path())),
            "dbt": Dbt(
                project_dir=rollcall_project,
                dbt_executable=WARM_DBT,
            ),
        }
    )
