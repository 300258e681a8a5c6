import sys
while True:
    sys.stdout.write("3" * 65536)
