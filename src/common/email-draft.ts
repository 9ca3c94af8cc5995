import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A ready-to-send, editable email message. Keep the link: it is personalised.' })
export class EmailDraft {
  @Field()
  subject: string;

  @Field()
  body: string;
}
