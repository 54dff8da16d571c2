#!/bin/sh
# hello.sh NAME greets NAME; -x prints to stderr instead.
if [ "$1" = -x ]; then
	echo "hello on stderr" >&2
	exit 0
fi
echo "hello, $1"
