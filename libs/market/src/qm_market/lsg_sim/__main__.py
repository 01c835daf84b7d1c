"""`python -m qm_market.lsg_sim serve|fault|status`: a simulated Databento live gateway."""

from qm_market.lsg_sim.cli import main

main()
