from platform_cli import main

raise SystemExit(main())
