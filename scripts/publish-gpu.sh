#!/usr/bin/env bash
# Publishes DeFT.Bench as one self-contained linux-x64 executable in .gpu/ (ignored by git),
# ready to copy to a GPU machine without .NET: run it there as `.gpu/DeFT.Bench [command] [options]`.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet publish DeFT.Bench/DeFT.Bench.csproj -c Release -r linux-x64 --self-contained \
  -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:InvariantGlobalization=true \
  -p:IncludeNativeLibrariesForSelfExtract=true -o .gpu "$@"
ls -lh .gpu/DeFT.Bench
