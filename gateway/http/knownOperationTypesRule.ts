import { GraphQLError, OperationTypeNode, type ASTVisitor, type ValidationContext } from 'graphql';

/**
 * Validation rule: an operation whose type the API schema has no root type for (a `mutation` on this mesh,
 * which offers queries and subscriptions) is a validation error, GRAPHQL_VALIDATION_FAILED, with the
 * wording of graphql-js 17's rule of the same name. graphql-js 16 has no such rule: the operation passed
 * validation and the query planner refused it with INVALID_GRAPHQL, which Apollo Server answered as a 500.
 */
export function KnownOperationTypesRule(context: ValidationContext): ASTVisitor {
  const schema = context.getSchema();
  return {
    OperationDefinition(node) {
      if (schema.getRootType(node.operation)) return;
      const offered = [OperationTypeNode.QUERY, OperationTypeNode.MUTATION, OperationTypeNode.SUBSCRIPTION].filter((type) => schema.getRootType(type));
      context.reportError(
        new GraphQLError(`The ${node.operation} operation is not supported by the schema; it offers ${offered.join(' and ')} operations.`, {
          nodes: node,
        }),
      );
    },
  };
}
