-- Nearest-centre search narrows by a box of latitude and longitude first.
CREATE INDEX centers_location ON centers (lat, lon);
