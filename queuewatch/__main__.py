from queuewatch.cli import main

raise SystemExit(main())
