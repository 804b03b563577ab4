from visitor.cli import main

raise SystemExit(main())
