"""KPI definitions as data (`kpis.yaml`, validated on load, like the intent catalogue), and the committed
default for the ICT desk and the contact centre."""
