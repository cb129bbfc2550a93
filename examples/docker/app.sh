#!/bin/sh
# Stands in for the application: works until told to stop, or until the
# file /app/exit-with holds an exit status to end with.
trap 'echo "app: stopping"; exit 0' TERM
echo "app: up"
while :; do
	if [ -f /app/exit-with ]; then
		code=$(cat /app/exit-with)
		echo "app: exiting with $code"
		exit "$code"
	fi
	sleep 0.1
done
