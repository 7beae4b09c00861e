#!/bin/sh
# ${NOT_INTERPOLATED} stays as written
echo "$GREETING"
