"""Resources, configured from the environment with embedded defaults."""

from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

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


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "warehouse": Warehouse(path=str(wh.warehouse_path())),
            "landing": Landing(path=str(wh.landing_path())),
            "dbt": DbtCliResource(
                project_dir=rollcall_project,
                dbt_executable=DBT,
            ),
        }
    )
