from visitor.bench.run import main

raise SystemExit(main())
