"""`python -m fastgrad.bench`: the speed comparison."""
from . import main

main()
