"""Resources, configured from the environment with embedded defaults."""

from contextlib import contextmanager
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging.version import Version

from pipelines.defs.transform.project import DBT, rollcall_project
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


class Landing(dg.ConfigurableResource):
    """The folder the vendors' exports land in."""

    path: str


class Dbt(DbtCliResource):
    """dagster-dbt's dbt resource, without a `dbt --version` subprocess per dbt step.

    dagster-dbt asks the dbt executable its version before every invocation
    (4 s here, twice a run); the executable is this environment's pinned
    dbt-core, so the installed package answers the same.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "warehouse": Warehouse(path=str(wh.warehouse_path())),
            "landing": Landing(path=str(wh.landing_path())),
            "dbt": Dbt(
                project_dir=rollcall_project,
                dbt_executable=DBT,
            ),
        }
    )
