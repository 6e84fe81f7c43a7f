"""Ideas: residents write them step by step, coordinators moderate and answer, residents
support them. `service.IdeaService` holds the operations; `notices` words what goes out."""
