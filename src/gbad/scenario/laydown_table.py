"""The scenario's ``[laydown]`` table: the constraints `gbad laydown` keeps and the
firing areas its `counter-battery` objective weighs (docs/laydown.md). Only `gbad
laydown` reads it; a run ignores it."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from gbad.scenario.primitives import NonNegFloat, PosFloat, Strict

FileName = Annotated[str, Field(min_length=1)]


class Road(Strict):
    """Road access: a placed item stands within ``buffer_m`` of a line of the GeoJSON
    file (LineString or MultiLineString features, lon/lat) in the scenario's folder."""

    file: FileName
    buffer_m: Annotated[float, Field(gt=0, le=50e3)]


class LaydownTable(Strict):
    #: Between any two placed items, and between a placed item and every item that stays.
    min_spacing_m: NonNegFloat = 0.0
    #: A placed launcher from its battery's radar (where they have to talk).
    max_from_battery_radar_m: PosFloat | None = None
    #: The ground's slope at a placed item's site, degrees from level.
    slope_min_deg: Annotated[float, Field(ge=0, lt=90)] = 0.0
    slope_max_deg: Annotated[float, Field(gt=0, le=90)] | None = None
    road: Road | None = None
    #: GeoJSON polygons (lon/lat) of the likely firing areas, for `counter-battery`;
    #: default: a circle of ``firing_area_radius_m`` about each of the scenario's
    #: firing positions.
    firing_areas: FileName | None = None
    firing_area_radius_m: Annotated[float, Field(gt=0, le=50e3)] = 1500.0

    @model_validator(mode="after")
    def _slopes(self) -> LaydownTable:
        if self.slope_max_deg is not None and self.slope_min_deg >= self.slope_max_deg:
            raise ValueError(
                f"slope_min_deg ({self.slope_min_deg}) must be below slope_max_deg "
                f"({self.slope_max_deg})"
            )
        return self
