# Python flavour of the network attempt.
import socket
s = socket.create_connection(("1.1.1.1", 80), timeout=1)
print("connected", s)
